# Homework: bidirectional RNN and GRU. Step by step, dict caches.
import numpy as np


def logistic(values):
    result = np.empty_like(values)
    is_positive = values >= 0
    result[is_positive] = 1.0 / (1.0 + np.exp(-values[is_positive]))
    exp_values = np.exp(values[~is_positive])
    result[~is_positive] = exp_values / (1.0 + exp_values)
    return result


def run_one_direction(x, initial_state, Wx, Wh, b, time_order):
    batch_size, num_steps, _ = x.shape
    hidden_size = initial_state.shape[1]
    all_states = np.zeros((batch_size, num_steps, hidden_size))
    previous_states = np.zeros((batch_size, num_steps, hidden_size))
    current_state = initial_state
    for time_index in time_order:
        previous_states[:, time_index, :] = current_state
        current_state = np.tanh(x[:, time_index, :].dot(Wx) + current_state.dot(Wh) + b)
        all_states[:, time_index, :] = current_state
    return all_states, previous_states


def undo_one_direction(upstream, x, all_states, previous_states, Wx, Wh, time_order):
    grad_x = np.zeros(x.shape)
    grad_Wx = np.zeros(Wx.shape)
    grad_Wh = np.zeros(Wh.shape)
    grad_b = np.zeros(Wh.shape[1])
    grad_state = np.zeros((x.shape[0], Wh.shape[0]))
    for time_index in reversed(time_order):
        total_gradient = upstream[:, time_index, :] + grad_state
        grad_raw = total_gradient * (1.0 - all_states[:, time_index, :] ** 2)
        grad_x[:, time_index, :] = grad_raw.dot(Wx.T)
        grad_Wx = grad_Wx + x[:, time_index, :].T.dot(grad_raw)
        grad_Wh = grad_Wh + previous_states[:, time_index, :].T.dot(grad_raw)
        grad_b = grad_b + grad_raw.sum(axis=0)
        grad_state = grad_raw.dot(Wh.T)
    return grad_x, grad_state, grad_Wx, grad_Wh, grad_b


def birnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    num_steps = x.shape[1]
    left_to_right = list(range(num_steps))
    right_to_left = left_to_right[::-1]
    forward_states, forward_previous = run_one_direction(x, h0_f, Wx_f, Wh_f, b_f, left_to_right)
    backward_states, backward_previous = run_one_direction(x, h0_b, Wx_b, Wh_b, b_b, right_to_left)
    output = np.concatenate((forward_states, backward_states), axis=2)
    memory = {
        "x": x,
        "forward": (forward_states, forward_previous, Wx_f, Wh_f, left_to_right),
        "backward": (backward_states, backward_previous, Wx_b, Wh_b, right_to_left),
    }
    return output, memory


def birnn_backward(dh, cache):
    hidden_size = dh.shape[2] // 2
    forward_states, forward_previous, Wx_f, Wh_f, left_to_right = cache["forward"]
    backward_states, backward_previous, Wx_b, Wh_b, right_to_left = cache["backward"]
    forward_grads = undo_one_direction(dh[:, :, :hidden_size], cache["x"], forward_states, forward_previous,
                                       Wx_f, Wh_f, left_to_right)
    backward_grads = undo_one_direction(dh[:, :, hidden_size:], cache["x"], backward_states, backward_previous,
                                        Wx_b, Wh_b, right_to_left)
    grad_x = forward_grads[0] + backward_grads[0]
    return (grad_x, forward_grads[1], backward_grads[1], forward_grads[2], forward_grads[3], forward_grads[4],
            backward_grads[2], backward_grads[3], backward_grads[4])


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    hidden_size = prev_h.shape[1]
    input_part = x.dot(Wx) + bx
    hidden_part = prev_h.dot(Wh) + bh
    reset_gate = logistic(input_part[:, :hidden_size] + hidden_part[:, :hidden_size])
    update_gate = logistic(input_part[:, hidden_size:2 * hidden_size] + hidden_part[:, hidden_size:2 * hidden_size])
    hidden_candidate_part = hidden_part[:, 2 * hidden_size:]
    new_state = np.tanh(input_part[:, 2 * hidden_size:] + reset_gate * hidden_candidate_part)
    next_h = (1.0 - update_gate) * new_state + update_gate * prev_h
    memory = {"input": x, "previous": prev_h, "Wx": Wx, "Wh": Wh, "reset": reset_gate, "update": update_gate,
              "new": new_state, "hidden_candidate_part": hidden_candidate_part}
    return next_h, memory


def gru_step_backward(dnext_h, cache):
    reset_gate = cache["reset"]
    update_gate = cache["update"]
    new_state = cache["new"]
    previous = cache["previous"]
    grad_new = dnext_h * (1.0 - update_gate)
    grad_update = dnext_h * (previous - new_state)
    grad_new_raw = grad_new * (1.0 - new_state ** 2)
    grad_reset = grad_new_raw * cache["hidden_candidate_part"]
    grad_reset_raw = grad_reset * reset_gate * (1.0 - reset_gate)
    grad_update_raw = grad_update * update_gate * (1.0 - update_gate)
    grad_input_part = np.concatenate([grad_reset_raw, grad_update_raw, grad_new_raw], axis=1)
    grad_hidden_part = np.concatenate([grad_reset_raw, grad_update_raw, grad_new_raw * reset_gate], axis=1)
    grad_x = grad_input_part.dot(cache["Wx"].T)
    grad_prev_h = dnext_h * update_gate + grad_hidden_part.dot(cache["Wh"].T)
    grad_Wx = cache["input"].T.dot(grad_input_part)
    grad_Wh = previous.T.dot(grad_hidden_part)
    grad_bx = grad_input_part.sum(axis=0)
    grad_bh = grad_hidden_part.sum(axis=0)
    return grad_x, grad_prev_h, grad_Wx, grad_Wh, grad_bx, grad_bh


def gru_forward(x, h0, Wx, Wh, bx, bh):
    batch_size, num_steps, _ = x.shape
    all_states = np.zeros((batch_size, num_steps, h0.shape[1]))
    step_memories = []
    current_state = h0
    for time_index in range(num_steps):
        current_state, step_memory = gru_step_forward(x[:, time_index, :], current_state, Wx, Wh, bx, bh)
        all_states[:, time_index, :] = current_state
        step_memories.append(step_memory)
    return all_states, step_memories


def gru_backward(dh, cache):
    batch_size, num_steps, hidden_size = dh.shape
    input_size = cache[0]["input"].shape[1]
    grad_x = np.zeros((batch_size, num_steps, input_size))
    grad_Wx = np.zeros((input_size, 3 * hidden_size))
    grad_Wh = np.zeros((hidden_size, 3 * hidden_size))
    grad_bx = np.zeros(3 * hidden_size)
    grad_bh = np.zeros(3 * hidden_size)
    grad_state = np.zeros((batch_size, hidden_size))
    for time_index in range(num_steps - 1, -1, -1):
        step_grads = gru_step_backward(dh[:, time_index, :] + grad_state, cache[time_index])
        grad_x[:, time_index, :] = step_grads[0]
        grad_state = step_grads[1]
        grad_Wx = grad_Wx + step_grads[2]
        grad_Wh = grad_Wh + step_grads[3]
        grad_bx = grad_bx + step_grads[4]
        grad_bh = grad_bh + step_grads[5]
    return grad_x, grad_state, grad_Wx, grad_Wh, grad_bx, grad_bh
